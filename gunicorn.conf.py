# gunicorn reads this file when it is started in this directory (the repository, as in
# the README's service): its logs then hold no token, query string or e-mail address.
logger_class = "kaffeeklatsch.serving.Logger"
