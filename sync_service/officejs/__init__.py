"""The Office add-in's files: manifest, custom functions (JS + metadata), task pane."""
