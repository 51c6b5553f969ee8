"""Generic pieces shared by every domain."""
