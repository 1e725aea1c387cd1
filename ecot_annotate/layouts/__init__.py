"""Facts about other tools' dataset layouts (LeRobot v2.1/v3.0) that our readers and writers share."""
