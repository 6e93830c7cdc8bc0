hello = 1
