"""Options of select, radio and checkbox fields in the shape the installed WTForms wants.

WTForms 3.3 deprecates (value, label) tuples in favour of `SelectChoice`, which
older 3.x releases lack; the forms build their options through these helpers.
"""
try:
    from wtforms.fields.choices import SelectChoice
except ImportError:  # WTForms < 3.3
    SelectChoice = None


def options(pairs):
    """[(value, label)] → the options of a field."""
    if SelectChoice is None:
        return list(pairs)
    return [SelectChoice(value, label) for value, label in pairs]


def grouped_options(groups):
    """[(group label, [(value, label)])] → options in <optgroup>s."""
    if SelectChoice is None:
        return {group: list(pairs) for group, pairs in groups}
    return [SelectChoice(value, label, optgroup=group) for group, pairs in groups for value, label in pairs]
