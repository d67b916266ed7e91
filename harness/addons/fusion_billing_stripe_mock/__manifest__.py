{
    'name': 'Fusion Billing: Stripe mock redirect (tests only)',
    'summary': 'Sends payment_stripe API calls to a local Stripe mock. Never install in production.',
    'version': '19.0.1.0.0',
    'category': 'Hidden/Tools',
    'author': 'NexaSystems',
    'website': 'https://nexasystems.ca',
    'license': 'LGPL-3',
    'depends': ['payment_stripe'],
    'data': [],
    'installable': True,
    'application': False,
}
