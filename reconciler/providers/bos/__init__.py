"""providers/bos"""
