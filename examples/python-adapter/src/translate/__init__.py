"""The translation, as plain functions of plain values (bytes, str, dict): no binding
types, so `python3 -m unittest` tests it natively, without building the component.
`adapter.py` converts to and from the contract's records."""
