"""The `medpolicy` command."""
