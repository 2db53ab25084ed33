"""What the results say: outcome probabilities with intervals and timelines."""
