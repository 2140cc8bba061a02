"""Model providers behind one small protocol. Wire formats stay inside their module."""
