"""What the HTTP entry points (the API and the web console) share: the desk and the caller of a
request, and the lifecycle commands' bodies. Neither side imports the other for these."""
