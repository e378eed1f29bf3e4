"""providers/s3"""
