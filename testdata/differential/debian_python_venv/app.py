import six
print("six", six.__version__, "py3" if six.PY3 else "py2")
