"""Client-file commands: clients check. (Being written.)"""
