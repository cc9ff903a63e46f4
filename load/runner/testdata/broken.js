// A script whose init context throws: the runner must exit with k6's code 107.
throw new Error('broken on purpose');
