library = None
