from recsys.evaluate.cli import main

main()
