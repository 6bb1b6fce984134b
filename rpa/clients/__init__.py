"""The client file and its records: who the agent works for, and their secrets.

- ``file.py``         ``load_clients``: CSV, Excel and YAML client files into records, with
                      the row of every problem
- ``readers.py``      reading a file into rows: text encodings, Excel workbooks
- ``columns.py``      which record field a column header means (the names offices use)
- ``records.py``      ``ClientRecord``: one client, validated and normalised at load time
- ``parts.py``        a record's nested parts (changes, bank, branches, documents)
- ``identifiers.py``  Indian identifiers (IEC, PAN, Aadhaar, mobile, PIN, IFSC) and dates
- ``secrets.py``      secret references (``env:``, ``file:``, ``keyring:``) and the mapping
                      templates read a job's secrets through

Imports point one way: ``rpa.errors`` and ``rpa.masking`` below, steps and everything that
runs jobs above. Nothing is re-exported here, so importing one module does not load the rest.
"""
