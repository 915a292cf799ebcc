"""What people read about runs: the comparison table."""
