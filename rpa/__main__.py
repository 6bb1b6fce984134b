from rpa.cli import main

main()
