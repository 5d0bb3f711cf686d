"""What the pages show: each module shapes one area's data for a page and its JSON twin."""
