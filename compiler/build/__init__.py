"""Stage 4, building: running the backends into a staging folder and publishing it (`output`)."""
