"""Strawberry types, queries and mutations, one package per area; schema.py assembles them."""
