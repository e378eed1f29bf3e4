"""providers/qingstor"""
