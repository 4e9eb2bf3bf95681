from django import forms

from lib.forms import BootstrapMixin

from .models import StandardLand


class StandardLandForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = StandardLand
        fields = ["investment_intensity", "output_intensity", "tax_intensity", "basis"]
