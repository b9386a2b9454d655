"""Reports over a finished snapshot. Unlike a stage, a report may read what every stage
wrote: the commentary explains the month's margin with the close's job variances."""
