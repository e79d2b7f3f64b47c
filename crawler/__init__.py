from crawler.netguard import install_from_environment

install_from_environment()  # loopback-only mode when the environment asks for it (the test suite)
