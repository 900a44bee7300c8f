"""The command line: `newslabel passages|dataset|train|label|benchmark|serve` (`main`), one module a command."""
