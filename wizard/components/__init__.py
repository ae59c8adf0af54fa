"""Screens and widgets of the full-screen wizard."""
