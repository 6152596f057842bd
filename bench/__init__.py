"""Speed figures (`make bench`): not pass/fail tests, numbers for the closing notes."""
