"""The console's pages, one module per area, each exporting ``routes``."""
