"""The demo: the mock portal, seeded from examples/, and a batch of `renew` run through it.

This package (like the tests) uses both ``rpa`` and ``mock_portal``; neither imports it.
"""
