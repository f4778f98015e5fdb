# Organisers are Django users; the admin's own user pages manage them.
