"""Tools for plugin authors: ``check`` (is this plugin well-formed?), the ``new-plugin``
scaffold, and the hook reference generator behind ``docs/hooks.md``."""
