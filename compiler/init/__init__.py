"""`chapbook init`: recognising a blog (`detect`) and writing a book.yml for it."""
