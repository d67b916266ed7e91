from . import test_build_request_url
