from rastro.cli import main

main()
