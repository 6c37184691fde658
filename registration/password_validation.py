"""Password rules beyond Django's: letters and digits both. Letters include Chinese characters."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class LettersAndDigitsValidator:
    def validate(self, password, user=None):
        if not (any(char.isalpha() for char in password) and any(char.isdigit() for char in password)):
            raise ValidationError(
                _("The password must contain both letters and digits."), code="password_letters_digits"
            )

    def get_help_text(self):
        return _("Your password must contain both letters and digits.")
