"""Synthetic demo company: five systems' exports plus the ground truth they hide."""
