"""Stage 3, the model: the frozen `Book` every backend gets (`book`) and diagnostics as data (`diagnostics`)."""
