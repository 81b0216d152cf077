"""cjmgen: a declarative spec in, a client-ready customer-analytics and CJM report out."""

__version__ = "0.1.0"
