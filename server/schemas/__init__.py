"""Typed models of the REST API: request bodies, query strings and responses."""
