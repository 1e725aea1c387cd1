"""`review`: a local page where people accept, reject and correct a run's episodes."""
