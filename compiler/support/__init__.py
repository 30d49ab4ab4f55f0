"""Small utilities every stage uses: path confinement, images, locales, lxml helpers, the paused GC."""
