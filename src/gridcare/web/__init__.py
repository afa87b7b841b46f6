"""The web shell: base templates, design system, navigation, back office and portal."""
