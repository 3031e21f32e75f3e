"""The implementation of :mod:`gini_host.testing`, one concern per module.

Import the public names from :mod:`gini_host.testing`; these modules may change.
"""
