from django.middleware.locale import LocaleMiddleware


class ChoiceOnlyLocaleMiddleware(LocaleMiddleware):
    """Chinese unless the user picked English with the language switch.

    Office PCs often run an English-language browser; the browser's Accept-Language
    must not turn a county office's UI into English.
    """

    def process_request(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)
