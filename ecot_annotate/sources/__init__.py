"""Sources turn a dataset folder into Episodes, one record at a time."""
