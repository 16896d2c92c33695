"""What every package's console pages share: the page context and pagination, and SVG
charts. Below the domain packages, so each keeps its own pages (no package imports the console
to draw one)."""
