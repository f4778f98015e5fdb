# Organisers are Django's users (django.contrib.auth); this app holds their pages.
