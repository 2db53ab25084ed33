"""Batching runs into chunks, seeds, and assembling the results of a simulation."""
