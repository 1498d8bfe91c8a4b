"""The environment variable that names the Pieces OS to talk to, in a module that imports
nothing, so that the command line's help can name it without loading the SDK."""

HOST_ENVIRONMENT_VARIABLE = "PIECES_OS_URL"
