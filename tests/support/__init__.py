"""Shared test helpers: fixtures that start real servers on loopback, fakes, builders."""
